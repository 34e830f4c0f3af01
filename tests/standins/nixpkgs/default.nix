# `import nixpkgs { system = ...; overlays = [ ... ]; config = { ... }; }`, as with the real one.
{
  system ? builtins.currentSystem or "x86_64-linux",
  localSystem ? { inherit system; },
  overlays ? [ ],
  config ? { },
  ...
}:
import ./pkgs {
  lib = import ./lib;
  system = localSystem.system or system;
  inherit overlays config;
}
