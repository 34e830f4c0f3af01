# Stand-in for nixpkgs' nixos/modules/profiles/minimal.nix: declares and sets nothing.
{ ... }:
{
}
