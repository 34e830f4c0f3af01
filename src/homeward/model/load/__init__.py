"""Reading a flake into a `Repo` (model/repo.py), in phases: references, the import walk,
the homes, the outputs, what is frozen; `loader.Loader` composes them."""
