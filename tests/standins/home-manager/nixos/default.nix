# home-manager's NixOS module.
import ../os-module.nix "nixos"
