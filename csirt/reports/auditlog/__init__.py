"""The audit log page: the records of `csirt.audit`, told in words with links to what they name."""
