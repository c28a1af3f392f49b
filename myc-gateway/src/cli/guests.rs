//! `guest-roles` and `guests`: roles, and accounts holding them on tenants.

use clap::Subcommand;
use myc_gateway::admin;
use myc_gateway::store::Store;
use myc_profile::Permission;
use uuid::Uuid;

use super::args::PermissionArg;
use super::context::{Context, audit};
use super::error::CliError;

#[derive(Subcommand, Debug)]
pub(crate) enum GuestRolesCommand {
    /// Create a guest role.
    Create {
        /// Slug (what `protectedByRoles` names).
        #[arg(long)]
        slug: String,
        /// What the role allows.
        #[arg(long, value_enum, default_value_t = PermissionArg::Read)]
        permission: PermissionArg,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum GuestsCommand {
    /// Give an account (created for an unknown e-mail) a role on a tenant.
    Add {
        /// Tenant id.
        #[arg(long)]
        tenant: Uuid,
        /// The guest's e-mail.
        #[arg(long)]
        email: String,
        /// Guest-role slug.
        #[arg(long)]
        role: String,
        /// What the guest may do with the role.
        #[arg(long, value_enum, default_value_t = PermissionArg::Read)]
        permission: PermissionArg,
    },
}

pub(crate) async fn run_roles(command: GuestRolesCommand, cx: &Context) -> Result<(), CliError> {
    let GuestRolesCommand::Create {
        slug,
        permission,
        name,
    } = command;
    let permission = Permission::from(permission);
    let store = cx.store().await?;
    let role = store.create_guest_role(&slug, &name, permission).await?;
    let detail = serde_json::json!({ "roleId": role.id, "slug": role.slug });
    audit(&store, "cli.guestRoles.create", None, None, detail).await?;
    println!("guest role {} {} ({permission})", role.id, role.slug);
    Ok(())
}

pub(crate) async fn run(command: GuestsCommand, cx: &Context) -> Result<(), CliError> {
    let GuestsCommand::Add {
        tenant,
        email,
        role,
        permission,
    } = command;
    let permission = Permission::from(permission);
    let store = cx.store().await?;
    let (link, created) = admin::add_guest(&store, tenant, &email, &role, permission).await?;
    let detail = serde_json::json!({ "email": email, "role": role, "permission": permission });
    audit(
        &store,
        "cli.guests.add",
        Some(tenant),
        Some(link.subscription_id),
        detail,
    )
    .await?;
    if created {
        println!("created account {} for {email}", link.account_id);
    }
    let what = if link.created {
        "granted"
    } else {
        "already had"
    };
    println!("{what} {role} ({permission}) on tenant {tenant}");
    Ok(())
}
