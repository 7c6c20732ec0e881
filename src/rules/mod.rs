//! Rules as data: loading, matching, builtins.
