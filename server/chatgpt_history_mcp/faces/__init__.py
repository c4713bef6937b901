"""What other programs talk to: the MCP server (tools, resources, prompt) and its HTTP transport. Faces only
translate between the protocol and the store or account; no domain logic lives here."""
