"""Agreements: contract templates rendered for a customer into Markdown and DOCX."""
