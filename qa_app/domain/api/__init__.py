"""The HTTP API's rules that need neither Flask nor a database: token scopes and lifetimes."""
