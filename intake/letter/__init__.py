"""The participation letter: its official text, rendering to HTML, PDF and DOCX, and its
download views."""
