"""What the channels share."""


class SendError(Exception):
    """A delivery failed in a way the channel understood (refused address, bad answer...)."""
