"""The Gradio UI: one module per tab, assembled by `ui.app.build_app`. No torch here."""
