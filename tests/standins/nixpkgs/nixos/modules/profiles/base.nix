# Stand-in for nixpkgs' nixos/modules/profiles/base.nix: declares and sets nothing.
{ ... }:
{
}
