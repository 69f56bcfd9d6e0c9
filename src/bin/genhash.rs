//! genhash: compute the digest of a web page, as keepalived's HTTP_GET checks it.

fn main() {}
