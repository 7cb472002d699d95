"""``python -m kiosk.addresses``: print the reference of every device scheme (Markdown)."""

from kiosk.addresses.reference import reference

print(reference(), end="")
