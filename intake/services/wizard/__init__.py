"""Category wizards: steps, progress, drafts, checks, saving, review and completion."""
