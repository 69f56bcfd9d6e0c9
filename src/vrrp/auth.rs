//! VRRP auth.
