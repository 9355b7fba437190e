"""The participation letter: its official text, and rendering to HTML, PDF and DOCX."""
