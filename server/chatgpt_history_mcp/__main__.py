from chatgpt_history_mcp.cli import main

# Guarded: index worker processes are spawned and re-import the main module.
if __name__ == "__main__":
    raise SystemExit(main())
