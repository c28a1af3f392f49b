use std::sync::Arc;

use tower_layer::Layer;

use super::{Route, RouteTable};

/// Routes every request through a [`RouteTable`]; see the [module docs](super).
#[derive(Clone, Debug)]
pub struct RouteLayer {
    table: Arc<RouteTable>,
}

impl RouteLayer {
    /// A layer over `table`.
    pub fn new(table: RouteTable) -> Self {
        Self {
            table: Arc::new(table),
        }
    }

    /// The table.
    pub fn table(&self) -> &RouteTable {
        &self.table
    }
}

impl<S> Layer<S> for RouteLayer {
    type Service = Route<S>;

    fn layer(&self, inner: S) -> Route<S> {
        Route {
            inner,
            table: self.table.clone(),
        }
    }
}
