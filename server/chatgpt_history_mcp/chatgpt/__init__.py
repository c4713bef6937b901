"""ChatGPT's private web backend: credentials, the httpx client, the SSE stream and sending a message."""
