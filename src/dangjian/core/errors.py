"""The one exception that services raise. Pages show `message`; the API answers
`{"code", "message", **details}` with an HTTP status chosen by the API layer."""


class DomainError(Exception):
    def __init__(self, code: str, message: str, **details):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = str(message)
        self.details = details

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, **self.details}
