//! Number readers with upstream's messages, shared by the parts that report a
//! bad number the way upstream's integer readers do ("invalid number 'X'",
//! "negative number 'X'", "number 'X' outside range [MIN, MAX]"); the caller
//! adds the keyword's own message after it.

use crate::config::ast::Word;
use crate::config::build::Ctx;

/// A signed decimal in `[min, max]`: "number 'X' outside range [MIN, MAX]"
/// for a number outside it, "invalid number 'X'" for anything else.
pub(crate) fn read_signed(ctx: &mut Ctx, w: &Word, min: i64, max: i64) -> Option<i64> {
    match w.text.parse::<i64>() {
        Ok(n) if n >= min && n <= max => Some(n),
        Ok(_) => {
            ctx.error(w.span, format!("number '{}' outside range [{min}, {max}]", w.text));
            None
        }
        Err(_) => {
            ctx.error(w.span, format!("invalid number '{}'", w.text));
            None
        }
    }
}

/// Upstream's complaint about a negative value where only unsigned ones are
/// read. Each caller decides what counts as negative.
pub(crate) fn negative_number(ctx: &mut Ctx, w: &Word) {
    ctx.error(w.span, format!("negative number '{}'", w.text));
}
