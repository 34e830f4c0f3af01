{
  description = "homeward test stand-in for flake-parts: lib.mkFlake with systems, imports, flake and perSystem, offline";

  outputs =
    { self, ... }:
    {
      lib.mkFlake = import ./mkFlake.nix;
      flakeModules = { };
    };
}
