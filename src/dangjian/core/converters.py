"""Path converters the back office's and the phone's URLs share. Django keeps converters in
one registry for the whole site, so each is registered here, once, whichever URL
configuration is imported first."""

from django.urls import register_converter


class DecisionConverter:
    """A reviewer's decision in a URL: approve or refuse (any other word is a 404, not a
    refusal nobody meant)."""

    regex = "approve|refuse"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(DecisionConverter, "decision")
