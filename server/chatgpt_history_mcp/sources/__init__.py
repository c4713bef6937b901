"""Sources turn raw ChatGPT data (exports, the web backend) into the normalized model."""
