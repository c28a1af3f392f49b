//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

/// `shared/vectors/mycelium`, found beside the repository (CI clones it there) or through
/// `MYC_SHARED_DIR`. A missing directory fails the test: the vectors are mandatory.
pub(crate) fn vectors_dir() -> PathBuf {
    let dir = myc_testkit::shared_dir().join("vectors/mycelium");
    assert!(
        dir.is_dir(),
        "interop vectors not found at {} (set MYC_SHARED_DIR)",
        dir.display()
    );
    dir
}

/// Every vector name (`01_minimal`, ...) with a `.header.txt`.
pub(crate) fn vector_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".header.txt").map(str::to_owned)
        })
        .collect();
    names.sort();
    assert!(
        names.len() >= 4,
        "expected the upstream vectors, found {names:?}"
    );
    names
}

pub(crate) fn read(name: &str) -> String {
    std::fs::read_to_string(vectors_dir().join(name)).unwrap()
}
