//! VRRP timer.
