"""The audience: lists, subscribers, consent, suppressions. Depends only on mailer.db."""
