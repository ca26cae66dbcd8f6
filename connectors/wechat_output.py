"""Rasa's replies as WeChat texts: plain text only, buttons as numbered choices."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import OutputChannel

from connectors import wechat_protocol as proto


class WeChatCollector(OutputChannel):
    """Collects a turn's replies as plain texts, buttons as numbered choices."""

    def __init__(self) -> None:
        self.texts: List[str] = []
        self.choices: List[str] = []

    @classmethod
    def name(cls) -> str:
        """Same name as the input channel."""
        return "wechat"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Collect a text."""
        if text and text.strip():
            self.texts.append(text.strip())

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        """Numbered choices; the latest buttons of a turn decide what "1" means next."""
        rendered, self.choices = proto.render_buttons(text, buttons)
        await self.send_text_message(recipient_id, rendered)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Images need a WeChat media id; a link is what a text message can carry."""
        await self.send_text_message(recipient_id, f"图片：{image}")

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        """Attachments as a link or description."""
        await self.send_text_message(recipient_id, f"附件：{attachment}")

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        """Only the ``text`` of custom payloads: a citizen must never read raw JSON."""
        if isinstance(json_message.get("text"), str):
            await self.send_text_message(recipient_id, json_message["text"])


class WeChatServiceOutput(WeChatCollector):
    """Sends each bot response at once through ``deliver`` (customer-service messages, window permitting)."""

    def __init__(self, deliver: Callable[[str, List[str]], Awaitable[None]]) -> None:
        super().__init__()
        self._deliver = deliver

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        """Collect one response as text, then deliver it split to WeChat's size limit."""
        self.texts = []
        await super().send_response(recipient_id, message)
        if self.texts:
            await self._deliver(recipient_id, proto.split_text("\n\n".join(self.texts)))
