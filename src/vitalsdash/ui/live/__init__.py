"""The pages' live logic as plain functions (the Dash callbacks in ui/pages only wire them)."""
