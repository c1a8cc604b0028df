//! rtnetlink test vectors.
use super::*;
