# home-manager's nix-darwin module.
import ../os-module.nix "darwin"
