// scripts/bench-health: the 09:00 prompt to 100,000 patients (written next).
int main() { return 0; }
