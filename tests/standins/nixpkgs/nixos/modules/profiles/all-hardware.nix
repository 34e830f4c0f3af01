# Stand-in for nixpkgs' nixos/modules/profiles/all-hardware.nix: declares and sets nothing.
{ ... }:
{
}
