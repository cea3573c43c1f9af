"""The event log: every change as an immutable row, written in the transaction of the change."""
