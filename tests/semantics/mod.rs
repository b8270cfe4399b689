//! Kubernetes semantics written out independently of nodepack's own code, so the property tests
//! check the scheduler against the rules rather than against itself.

use nodepack_core::{Taint, Toleration, TolerationOperator};

/// Kubernetes' `ToleratesTaint`.
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    let effect_ok = t.effect.is_none_or(|e| e == taint.effect);
    let key_ok = t.key.is_empty() || t.key == taint.key;
    let value_ok = match t.operator {
        TolerationOperator::Exists => true,
        TolerationOperator::Equal => t.value == taint.value,
    };
    effect_ok && key_ok && value_ok
}
