"""The site builder: run folders in, static site out. Entry point: :func:`reportgen.site.builder.build`."""
