"""The electronic certificate library (电子证照库): reads, 用证记录, issuing and its texts."""
