"""Reading ChatGPT's official data export: ZIP safety and streaming (:mod:`.reader`), and turning ChatGPT's
conversation JSON into the model (:mod:`.normalize`, :mod:`.content`). The web backend serves the same
conversation JSON, so :mod:`chatgpt_history_mcp.chatgpt` normalizes through here too."""
