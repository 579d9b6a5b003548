//! napi-rs's link setup for the addon (nothing extra on Linux).
fn main() {
    napi_build::setup();
}
