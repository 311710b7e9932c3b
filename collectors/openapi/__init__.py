"""OpenAPI collector: API descriptions (Swagger 2.0, OpenAPI 3.0/3.1) read into Specs."""
