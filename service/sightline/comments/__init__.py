"""Comments on objectives, key results and check-ins: threads with one level of replies, Markdown, @mentions."""
