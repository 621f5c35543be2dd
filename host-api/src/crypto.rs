//! Placeholder: being written.

use rquickjs::Ctx;

use crate::HostState;

pub fn install(ctx: &Ctx<'_>, host: &HostState) -> rquickjs::Result<()> {
    let _ = (ctx, host);
    Ok(())
}
