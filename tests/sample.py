"""The bundled sample export and the ids of its conversations (see examples/SAMPLE.md)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "sample-export.zip"
ALL_SAMPLE = 16

SOURDOUGH = "f538df88-7b69-5937-a98d-cc86d3d6878c"
LISBON = "7296ab64-f016-5de2-aa4a-709f7c4a4f9a"
K8S = "d4add0b2-9779-5567-8ca6-5e1d7c3dcbfc"
RUST = "de3c5dc9-d764-59a3-adeb-c78ab9ea48cd"
COVER_LETTER = "2ec425c9-2cf7-5d84-85be-951716a8ab07"
SPANISH = "2ee43ab6-bf3d-5a2a-8662-6f6122a6da8b"
PARSE_CONFIG = "d8618855-c6c4-5353-b00c-28f93dd1b043"
SQL = "60e1cd8b-67a4-51ad-9832-f23f03decaa0"
CHINESE = "e91d75cf-24b4-5013-87d6-e9aabd360447"
JAPANESE_KOREAN = "9d016280-a6ce-5e55-8086-2c47d769ee0e"
HOUSEPLANT = "ad2a4c6a-56fc-542f-80f8-1461655fc657"
MEAL_PLAN = "6822d6d5-4022-508b-8ca9-49a4dab6d196"
TRAINING = "1d15765c-b757-534d-9f23-e86e3d52dd98"
HIKE = "eb8060cc-6d1c-58cf-8862-05b81faa8508"
GIFT = "e119b057-e700-57f0-9100-f8b305a5acbb"
AGENT = "44d66067-1dbd-5edf-9ddd-6a210b61ec8a"  # untitled, archived
PROJECT = "g-p-f8dd157eba2c5dadb472c59ed4996b8c"  # Lisbon, cover letter, Spanish
CUSTOM_GPT = "g-Kx7pQ2mZr"  # the Kubernetes chat
