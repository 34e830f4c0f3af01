# Stand-in for nixpkgs' nixos/modules/profiles/headless.nix: declares and sets nothing.
{ ... }:
{
}
