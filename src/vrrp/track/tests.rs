use super::*;

fn w(weight: i32, reverse: bool) -> Weight {
    Weight { weight, reverse }
}

#[test]
fn weight_zero_faults_while_down_reverse_while_up() {
    assert_eq!(effect(Status::Down, w(0, false)), Effect { fault: true, ..Effect::default() });
    assert_eq!(effect(Status::Up, w(0, false)), Effect::default());
    assert_eq!(effect(Status::Up, w(0, true)), Effect { fault: true, ..Effect::default() });
    assert_eq!(effect(Status::Down, w(0, true)), Effect::default());
}

#[test]
fn positive_weights_add_while_up_negative_subtract_while_down() {
    assert_eq!(effect(Status::Up, w(10, false)).delta, 10);
    assert_eq!(effect(Status::Down, w(10, false)).delta, 0);
    assert_eq!(effect(Status::Up, w(-20, false)).delta, 0);
    assert_eq!(effect(Status::Down, w(-20, false)).delta, -20);
    // reverse turns the sign of what applies.
    assert_eq!(effect(Status::Up, w(10, true)).delta, -10);
    assert_eq!(effect(Status::Down, w(10, true)).delta, 0);
    assert_eq!(effect(Status::Down, w(-20, true)).delta, 20);
}

#[test]
fn a_script_not_yet_run_holds_weight_zero_and_weighs_nothing() {
    assert_eq!(effect(Status::Init, w(0, false)), Effect { hold: true, ..Effect::default() });
    assert_eq!(effect(Status::Init, w(-20, false)), Effect::default());
}

#[test]
fn files_multiply_clamp_and_fault_below_minus_253() {
    assert_eq!(effect(Status::Value(5), w(-1, false)).delta, -5);
    assert_eq!(effect(Status::Value(-300), w(-1, false)).delta, 253);
    assert!(effect(Status::Value(300), w(-1, false)).fault);
    assert!(!effect(Status::Value(-253), w(1, false)).fault);
    assert!(effect(Status::Value(-254), w(1, false)).fault);
    assert!(effect(Status::Value(3), w(0, false)).fault);
    assert_eq!(effect(Status::Value(0), w(0, false)), Effect::default());
    assert_eq!(effect(Status::Value(i64::MAX), w(254, false)).delta, 253);
}

#[test]
fn verdict_sums_and_totals() {
    // keepalived 2.2.7 in a namespace: file 5 weight -1, interface down weight -10.
    let v = Verdict::of([(Status::Value(5), w(-1, false)), (Status::Down, w(-10, false)), (Status::Up, w(7, false))]);
    assert_eq!(v, Verdict { faults: 0, holds: 0, delta: -8 });
    assert_eq!(v.total(100), 92);
    let v = Verdict::of([(Status::Value(-300), w(-1, false)), (Status::Down, w(-10, false))]);
    // 100 + 253 - 10: the state machine clamps it to 254.
    assert_eq!(v.total(100), 343);
    let v = Verdict::of([(Status::Init, w(0, false)), (Status::Down, w(0, false))]);
    assert_eq!((v.faults, v.holds), (1, 1));
}
