/*
 * authority — the appendix of the guideline (附件 主管機關列表): the 57
 * supervisory authorities (主管機關) that review an agency's reports.
 *
 * The table is copied from the appendix as printed, number and name, in the
 * appendix's order. It is kept as plain data, not generated, so that a
 * reviewer can hold it against the guideline line by line. The appendix
 * dates from the guideline's edition; later reorganisations (for example
 * 科技部 becoming 國家科學及技術委員會) are deliberately not applied: the
 * numbers are the guideline's, and a name must match the number beside it.
 */
#include "soc/authority.h"

static const soc_authority authorities[] = {
    {1, "行政院"},
    {2, "內政部"},
    {3, "外交部"},
    {4, "國防部"},
    {5, "財政部"},
    {6, "教育部"},
    {7, "法務部"},
    {8, "經濟部"},
    {9, "交通部"},
    {10, "勞動部"},
    {11, "衛生福利部"},
    {12, "文化部"},
    {13, "科技部"},
    {14, "蒙藏委員會"},
    {15, "行政院農業委員會"},
    {16, "行政院環境保護署"},
    {17, "行政院海岸巡防署"},
    {18, "國家發展委員會"},
    {19, "行政院大陸委員會"},
    {20, "金融監督管理委員會"},
    {21, "僑務委員會"},
    {22, "國軍退除役官兵輔導委員會"},
    {23, "原住民族委員會"},
    {24, "客家委員會"},
    {25, "行政院公共工程委員會"},
    {26, "行政院原子能委員會"},
    {27, "中央銀行"},
    {28, "行政院主計總處"},
    {29, "行政院人事行政總處"},
    {30, "國立故宮博物院"},
    {31, "中央選舉委員會"},
    {32, "公平交易委員會"},
    {33, "國家通訊傳播委員會"},
    {34, "臺灣省政府"},
    {35, "福建省政府"},
    {36, "臺北市政府"},
    {37, "新北市政府"},
    {38, "桃園市政府"},
    {39, "臺中市政府"},
    {40, "臺南市政府"},
    {41, "高雄市政府"},
    {42, "新竹縣政府"},
    {43, "苗栗縣政府"},
    {44, "南投縣政府"},
    {45, "彰化縣政府"},
    {46, "雲林縣政府"},
    {47, "嘉義縣政府"},
    {48, "屏東縣政府"},
    {49, "宜蘭縣政府"},
    {50, "花蓮縣政府"},
    {51, "臺東縣政府"},
    {52, "澎湖縣政府"},
    {53, "金門縣政府"},
    {54, "連江縣政府"},
    {55, "基隆市政府"},
    {56, "新竹市政府"},
    {57, "嘉義市政府"},
};

_Static_assert(sizeof authorities / sizeof authorities[0] == SOC_AUTHORITY_COUNT,
               "the appendix lists exactly SOC_AUTHORITY_COUNT authorities");

const soc_authority *soc_authority_find(int number) {
  /* A scan rather than indexing by number - 1: it stays correct even if
   * someone edits the table out of order, and 57 entries cost nothing. */
  for (size_t i = 0; i < SOC_AUTHORITY_COUNT; i++) {
    if (authorities[i].number == number) return &authorities[i];
  }
  return NULL;
}

const soc_authority *soc_authority_at(size_t i) {
  return i < SOC_AUTHORITY_COUNT ? &authorities[i] : NULL;
}
