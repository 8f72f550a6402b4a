"""Messages the engine shows a person, kept translatable: a Chinese message id and its values.

The engine speaks Chinese (the working language of the service center); web/ offers English
(web/i18n.py). A message built with ``msg`` keeps its Chinese template — the message id, with
gettext's ``%(name)s`` placeholders — next to its values, so the web layer can render it in
the reader's language after the engine has finished with it. A value may itself be a message
(a detail inside a sentence); it is translated with the sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    """A message id (the Chinese template) and the values of its placeholders."""

    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.params:
            return self.template
        return self.template % {key: str(value) for key, value in self.params.items()}

    def as_dict(self) -> dict[str, Any]:
        """``message_id`` and ``params`` as stored beside a problem's Chinese ``message``."""
        return {
            "message_id": self.template,
            "params": {
                key: value.as_dict() if isinstance(value, Message) else value
                for key, value in self.params.items()
            },
        }


def msg(template: str, **params: Any) -> Message:
    return Message(template, params)
