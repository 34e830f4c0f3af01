"""What homeward knows about NixOS and home-manager: the mapping table, option data. Pure data;
plan and lint both read it, it reads neither."""
