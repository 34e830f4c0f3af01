# Stand-in for nixpkgs' nixos/modules/profiles/hardened.nix: declares and sets nothing.
{ ... }:
{
}
