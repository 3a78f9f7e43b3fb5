"""Moving Docker's data root onto its new filesystem, with nothing lost (standard library only).

tree: what a directory tree holds, every attribute a copy must keep, and the differences
between two trees. view: what the engine shows (images with their layers, containers,
volumes). layers: every image layer's content hashed as the engine gives it out. state: where
a move stands, kept on the new filesystem so an interrupted run can finish it.
"""
