"""One module of settings per function or concern, each read from the Lambda environment by its `from_env`:
a function loads only the settings it reads."""
