"""Firehouse's own public status page, on a port of its own: `render` turns a `PublicPage` into every document
(HTML, an Atom feed, Statuspage's Status API); `site` serves them, rendered once per change, and keeps the last
good page up when the database is not."""
